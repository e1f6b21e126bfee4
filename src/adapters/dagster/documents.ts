/**
 * Every GraphQL document the Dagster adapter sends, as constants. They are kept minimal, select `__typename`
 * on every union and interface (and on the objects inside them), handle the `…OrError` unions, and use no
 * aliases, so that a response can be re-checked against Dagster's official schema with default resolvers
 * (see documents.test.ts and the emulator's contract test).
 */

export interface DagsterDocument {
  /** The operation's name, sent as `operationName`. */
  readonly operationName: string;
  readonly kind: 'query' | 'mutation';
  /** The whole document: the operation and the fragments it uses. */
  readonly query: string;
}

const PYTHON_ERROR_FIELDS = `
fragment MonitorPythonError on PythonError {
  __typename
  message
  className
  stack
  cause {
    __typename
    message
    className
    stack
    cause {
      __typename
      message
      className
      stack
    }
  }
}`;

const RUN_FIELDS = `
fragment MonitorRunFields on Run {
  __typename
  runId
  jobName
  status
  creationTime
  startTime
  endTime
  updateTime
  tags {
    __typename
    key
    value
  }
  repositoryOrigin {
    __typename
    repositoryLocationName
    repositoryName
  }
}`;

function document(kind: 'query' | 'mutation', operationName: string, body: string, fragments: string[]) {
  return { operationName, kind, query: `${kind} ${operationName}${body}\n${fragments.join('\n')}\n` };
}

/**
 * The workspace: code locations (or their load errors), repositories and jobs. `$withDetails` adds what a
 * pipeline listing shows, `$withLatestRun` each job's newest run (`Job.runs(limit: 1)`), so that the latest
 * runs of every job cost one request. Job owners are a recent field: `WORKSPACE_WITHOUT_OWNERS` is the same
 * query for servers that do not have it.
 */
function workspace(operationName: string, owners: boolean): DagsterDocument {
  const ownersSelection = owners
    ? `
                owners @include(if: $withDetails) {
                  __typename
                  ... on UserDefinitionOwner {
                    email
                  }
                  ... on TeamDefinitionOwner {
                    team
                  }
                }`
    : '';
  return document(
    'query',
    operationName,
    `($withDetails: Boolean!, $withLatestRun: Boolean!) {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        __typename
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            name
            repositories {
              __typename
              name
              jobs {
                __typename
                name
                isAssetJob
                description @include(if: $withDetails)
                tags @include(if: $withDetails) {
                  __typename
                  key
                  value
                }${ownersSelection}
                schedules @include(if: $withDetails) {
                  __typename
                  name
                  cronSchedule
                  executionTimezone
                  scheduleState {
                    __typename
                    status
                  }
                }
                sensors @include(if: $withDetails) {
                  __typename
                  name
                  sensorState {
                    __typename
                    status
                  }
                }
                runs(limit: 1) @include(if: $withLatestRun) {
                  ...MonitorRunFields
                }
              }
            }
          }
          ... on PythonError {
            ...MonitorPythonError
          }
        }
      }
    }
    ... on PythonError {
      ...MonitorPythonError
    }
  }
}`,
    [RUN_FIELDS, PYTHON_ERROR_FIELDS],
  );
}

export const WORKSPACE = workspace('MonitorWorkspace', true);
export const WORKSPACE_WITHOUT_OWNERS = workspace('MonitorWorkspaceWithoutOwners', false);

/** Runs across every job, filtered server-side, newest first; `$withSteps` adds each run's step statuses. */
export const RUNS = document(
  'query',
  'MonitorRuns',
  `($filter: RunsFilter, $cursor: String, $limit: Int, $withSteps: Boolean!) {
  runsOrError(filter: $filter, cursor: $cursor, limit: $limit) {
    __typename
    ... on Runs {
      count
      results {
        ...MonitorRunFields
        stepStats @include(if: $withSteps) {
          __typename
          stepKey
          status
        }
      }
    }
    ... on InvalidPipelineRunsFilterError {
      message
    }
    ... on PythonError {
      ...MonitorPythonError
    }
  }
}`,
  [RUN_FIELDS, PYTHON_ERROR_FIELDS],
);

/** One run with every step's status, times and attempts. */
export const RUN = document(
  'query',
  'MonitorRun',
  `($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      ...MonitorRunFields
      stepStats {
        __typename
        stepKey
        status
        startTime
        endTime
        attempts {
          __typename
          startTime
          endTime
        }
      }
    }
    ... on RunNotFoundError {
      message
    }
    ... on PythonError {
      ...MonitorPythonError
    }
  }
}`,
  [RUN_FIELDS, PYTHON_ERROR_FIELDS],
);

/** One page of a run's structured event log (`afterCursor` pagination until `hasMore` is false). */
export const RUN_EVENTS = document(
  'query',
  'MonitorRunEvents',
  `($runId: ID!, $cursor: String, $limit: Int) {
  logsForRun(runId: $runId, afterCursor: $cursor, limit: $limit) {
    __typename
    ... on EventConnection {
      cursor
      hasMore
      events {
        __typename
        ... on MessageEvent {
          message
          timestamp
          level
          stepKey
          eventType
        }
        ... on ErrorEvent {
          error {
            ...MonitorPythonError
          }
        }
        ... on LogsCapturedEvent {
          fileKey
          stepKeys
          externalStdoutUrl
          externalStderrUrl
        }
      }
    }
    ... on RunNotFoundError {
      message
    }
    ... on PythonError {
      ...MonitorPythonError
    }
  }
}`,
  [PYTHON_ERROR_FIELDS],
);

/** One chunk of a step's captured stdout/stderr; pass the returned cursor back for the next. */
export const CAPTURED_LOGS = document(
  'query',
  'MonitorCapturedLogs',
  `($logKey: [String!]!, $cursor: String, $limit: Int) {
  capturedLogs(logKey: $logKey, cursor: $cursor, limit: $limit) {
    __typename
    stdout
    stderr
    cursor
  }
}`,
  [],
);

/** The selection of every outcome a launch can have (`LaunchRunResult` and `LaunchRunReexecutionResult` share it). */
const LAUNCH_OUTCOMES = `    __typename
    ... on LaunchRunSuccess {
      run {
        ...MonitorRunFields
      }
    }
    ... on RunConfigValidationInvalid {
      pipelineName
      errors {
        __typename
        message
        path
        reason
      }
    }
    ... on InvalidStepError {
      invalidStepKey
    }
    ... on InvalidOutputError {
      stepKey
      invalidOutputName
    }
    ... on PythonError {
      ...MonitorPythonError
    }
    ... on Error {
      message
    }
`;

/** Launches a run of a job; every outcome of `LaunchRunResult` is selected. */
export const LAUNCH_RUN = document(
  'mutation',
  'MonitorLaunchRun',
  `($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
${LAUNCH_OUTCOMES}  }
}`,
  [RUN_FIELDS, PYTHON_ERROR_FIELDS],
);

/**
 * Re-executes a run (a new run linked to it by `parentRunId`/`rootRunId`); every outcome of
 * `LaunchRunReexecutionResult` is selected.
 */
export const LAUNCH_RUN_REEXECUTION = document(
  'mutation',
  'MonitorLaunchRunReexecution',
  `($reexecutionParams: ReexecutionParams!) {
  launchRunReexecution(reexecutionParams: $reexecutionParams) {
${LAUNCH_OUTCOMES}  }
}`,
  [RUN_FIELDS, PYTHON_ERROR_FIELDS],
);

/** Terminates a run; every outcome of `TerminateRunResult` is selected. */
export const TERMINATE_RUN = document(
  'mutation',
  'MonitorTerminateRun',
  `($runId: String!, $terminatePolicy: TerminateRunPolicy) {
  terminateRun(runId: $runId, terminatePolicy: $terminatePolicy) {
    __typename
    ... on TerminateRunSuccess {
      run {
        ...MonitorRunFields
      }
    }
    ... on TerminateRunFailure {
      message
    }
    ... on RunNotFoundError {
      runId
      message
    }
    ... on UnauthorizedError {
      message
    }
    ... on PythonError {
      ...MonitorPythonError
    }
  }
}`,
  [RUN_FIELDS, PYTHON_ERROR_FIELDS],
);

/** Every document the adapter can send, for schema checks. */
export const DAGSTER_DOCUMENTS: readonly DagsterDocument[] = [
  WORKSPACE,
  WORKSPACE_WITHOUT_OWNERS,
  RUNS,
  RUN,
  RUN_EVENTS,
  CAPTURED_LOGS,
  LAUNCH_RUN,
  LAUNCH_RUN_REEXECUTION,
  TERMINATE_RUN,
];
