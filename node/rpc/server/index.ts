export { RpcError, RpcErrorCode, RpcServerError, type RpcServerErrorType } from "./errors.js";
export type {
  IRpcServer,
  MethodDef,
  RpcCallObserver,
  RpcContext,
  RpcDef,
  RpcTransport,
  SubscriptionDef,
  SubscriptionSink,
  Unsubscribe,
} from "./interface.js";
export { defaultRpcServerOptions, type RpcMethodSet, type RpcServerOptions } from "./options.js";
export { type Param, type ParamSpec, param, parseParams } from "./params.js";
export { type HttpGetHandler, isLoopbackHost, RpcServer, type RpcServerModules } from "./server.js";
