// Public entry of the emulator: the deployed stack, synthesised from sst.config.ts and run
// whole on this machine against an AWS endpoint (the local simulator).
export { EmulatedStack, DeployError, type EmulationOptions, type AwsEndpoint, type AsyncRecord } from "./emulation";
export { synthesize, type SynthOptions } from "./synth";
export { platformAvailable, runSynth, SynthError, type Builder, type Synthesis, type SynthResource, type SynthBuild } from "./synth-run";
export {
  stackModel,
  StackModelError,
  queueAllowsRule,
  functionAllowsRule,
  type StackModel,
  type FunctionModel,
  type RuleModel,
  type QueueModel,
  type EventSourceMappingModel,
  type AlarmModel,
  type TargetModel,
  type PermissionModel,
  type InvocationModel,
} from "./stack-model";
export { EventBus, scheduledEvent, targetPayload, schedulePeriodMs, type BusEvent } from "./eventbridge";
export { EmulatedQueue, SqsEventSource, failedIds, sqsEvent, type BatchRecord, type Message } from "./sqs";
export { emfDatapoints, alarmState, type Datapoint, type AlarmState } from "./metrics";
export { mockState, mockCall, policyJson, MOCK_ACCOUNT, MOCK_REGION } from "./synth-mocks";
export { buildFunction, type BuildInput, type BuildOutput } from "./sst-build";
