export { PulseStream } from "./client.js";
export { PulseStreamError } from "./types.js";
export type { ErrorReason, FieldError, PulseStreamEvent, PulseStreamOptions } from "./types.js";
