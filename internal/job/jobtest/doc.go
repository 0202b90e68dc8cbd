// Package jobtest holds what the tests of the job API's parts share:
//
//   - the contract every job.Store implementation must meet
//     (RunStoreContract, with the fixed time T0), as one table of cases run
//     against each of them (the in-memory store and the DynamoDB store), so
//     a fake and the real thing cannot drift apart;
//   - a Lambda main run as the deployed binary runs: StartFunction starts
//     the test binary again as the function (IsFunctionProcess, Main)
//     against internal/lambdart's Runtime API, and Function.Invoke hands it
//     events and returns its Response;
//   - the surroundings such a function needs: LambdaEnv (an environment
//     with nothing inherited from the machine), FakeS3 (gofakes3 in memory)
//     and, through Main, one dynalite for a package's tests.
//   - the project's three functions faked for the in-process engine
//     (FakeLambdas: tracking, batchSimulation, statusUpdate, failing with
//     SimulatedFailure and TransientError), with the job table they write
//     and the console reads (FakeJobTable), shared by the console's tests
//     and the browser tests.
package jobtest
