"""The GraphQL schema MLflow's web UI queries (type and field names as MLflow 3.17 spells them).

Field names are the camelCase forms of the REST fields (``runId`` for ``run_id``); resolvers
answer with the REST JSON of the same call, and :func:`modelyard.server.graphql._execute` maps
each camelCase field to its snake_case key.
"""

from __future__ import annotations

__all__ = ["SDL"]

SDL = """
directive @component(name: String!) on QUERY | MUTATION

"Long converted to string to prevent truncation to max integer in JavaScript"
scalar LongString

enum MlflowRunStatus { RUNNING SCHEDULED FINISHED FAILED KILLED }
enum MlflowViewType { ACTIVE_ONLY DELETED_ONLY ALL }
enum MlflowModelVersionStatus { PENDING_REGISTRATION FAILED_REGISTRATION READY }

type ErrorDetail { field: String message: String }
type ApiError {
  code: String message: String helpUrl: String traceId: String errorDetails: [ErrorDetail]
}
type Test { output: String }
type TestMutation { output: String }

type MlflowExperimentTag { key: String value: String }
type MlflowExperiment {
  experimentId: String name: String artifactLocation: String lifecycleStage: String
  lastUpdateTime: LongString creationTime: LongString tags: [MlflowExperimentTag!]
  effectiveTraceArchivalRetention: String workspace: String
}
type MlflowGetExperimentResponse { experiment: MlflowExperiment apiError: ApiError }

type MlflowMetric {
  key: String value: Float timestamp: LongString step: LongString datasetName: String
  datasetDigest: String modelId: String runId: String
}
type MlflowParam { key: String value: String }
type MlflowRunTag { key: String value: String }
type MlflowRunData { metrics: [MlflowMetric!] params: [MlflowParam!] tags: [MlflowRunTag!] }
type MlflowRunInfo {
  runId: String runUuid: String runName: String experimentId: String userId: String
  status: MlflowRunStatus startTime: LongString endTime: LongString artifactUri: String
  lifecycleStage: String
}
type MlflowDataset {
  name: String digest: String sourceType: String source: String schema: String profile: String
}
type MlflowInputTag { key: String value: String }
type MlflowDatasetInput { tags: [MlflowInputTag!] dataset: MlflowDataset }
type MlflowModelInput { modelId: String }
type MlflowRunInputs { datasetInputs: [MlflowDatasetInput!] modelInputs: [MlflowModelInput!] }
type MlflowModelOutput { modelId: String step: LongString }
type MlflowRunOutputs { modelOutputs: [MlflowModelOutput!] }

type MlflowModelVersionTag { key: String value: String }
type MlflowModelParam { name: String value: String }
type MlflowModelMetric {
  key: String value: Float timestamp: LongString step: LongString datasetName: String
  datasetDigest: String modelId: String runId: String
}
type MlflowModelVersion {
  name: String version: String creationTimestamp: LongString lastUpdatedTimestamp: LongString
  userId: String currentStage: String description: String source: String runId: String
  status: MlflowModelVersionStatus statusMessage: String tags: [MlflowModelVersionTag!]
  runLink: String aliases: [String] modelId: String modelParams: [MlflowModelParam!]
  modelMetrics: [MlflowModelMetric!]
}
type MlflowSearchModelVersionsResponse {
  modelVersions: [MlflowModelVersion!] nextPageToken: String apiError: ApiError
}

type MlflowRun {
  info: MlflowRunInfo data: MlflowRunData inputs: MlflowRunInputs outputs: MlflowRunOutputs
  experiment: MlflowExperiment modelVersions: [MlflowModelVersion!]
}
type MlflowGetRunResponse { run: MlflowRun apiError: ApiError }
type MlflowSearchRunsResponse { runs: [MlflowRun!] nextPageToken: String apiError: ApiError }

type MlflowFileInfo { path: String isDir: Boolean fileSize: LongString }
type MlflowListArtifactsResponse {
  rootUri: String files: [MlflowFileInfo!] nextPageToken: String apiError: ApiError
}
type MlflowMetricWithRunId {
  key: String value: Float timestamp: LongString step: LongString runId: String
}
type MlflowGetMetricHistoryBulkIntervalResponse {
  metrics: [MlflowMetricWithRunId!] apiError: ApiError
}
type MlflowDatasetSummary { experimentId: String name: String digest: String context: String }
type MlflowSearchDatasetsResponse { datasetSummaries: [MlflowDatasetSummary!] apiError: ApiError }

input MlflowGetExperimentInput { experimentId: String }
input MlflowGetRunInput { runId: String runUuid: String }
input MlflowSearchRunsInput {
  experimentIds: [String] filter: String runViewType: MlflowViewType maxResults: Int
  orderBy: [String] pageToken: String
}
input MlflowListArtifactsInput { runId: String runUuid: String path: String pageToken: String }
input MlflowGetMetricHistoryBulkIntervalInput {
  runIds: [String] metricKey: String startStep: Int endStep: Int maxResults: Int
}
input MlflowSearchDatasetsInput { experimentIds: [String] }
input MlflowSearchModelVersionsInput {
  filter: String maxResults: LongString orderBy: [String] pageToken: String
}

type Query {
  test(inputString: String): Test
  mlflowGetExperiment(input: MlflowGetExperimentInput): MlflowGetExperimentResponse
  mlflowGetMetricHistoryBulkInterval(
    input: MlflowGetMetricHistoryBulkIntervalInput
  ): MlflowGetMetricHistoryBulkIntervalResponse
  mlflowGetRun(input: MlflowGetRunInput): MlflowGetRunResponse
  mlflowListArtifacts(input: MlflowListArtifactsInput): MlflowListArtifactsResponse
  mlflowSearchModelVersions(input: MlflowSearchModelVersionsInput): MlflowSearchModelVersionsResponse
  mlflowSearchRuns(input: MlflowSearchRunsInput): MlflowSearchRunsResponse
}

type Mutation {
  testMutation(inputString: String): TestMutation
  mlflowSearchDatasets(input: MlflowSearchDatasetsInput): MlflowSearchDatasetsResponse
  mlflowSearchRuns(input: MlflowSearchRunsInput): MlflowSearchRunsResponse
}
"""
