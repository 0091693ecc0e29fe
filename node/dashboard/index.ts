/** The node's dashboard: its files served on the RPC port, and the job progress it shows. */
export {
  type ClaimedResult,
  defaultJobProgressRecorderOptions,
  type JobProgress,
  JobProgressRecorder,
  type JobProgressRecorderOptions,
  type ProgressPoint,
  type ProgressSeries,
  type ProgressTopics,
  type ProgressVerdict,
} from "./progressRecorder.js";
export { DashboardSite } from "./site.js";
