// Runs the Framework's own post-deploy stage update (osls's update-stage.js, which `sls deploy`
// runs after CloudFormation) against a fake API Gateway, so a test can see the calls it makes
// and what it asks of the stage. Only the AWS provider is stood in for: its SDK configuration
// points at the fake, and the account comes from the arguments instead of STS.
//
//   node update-stage.js <osls dir> <serverless-state.json> <endpoint> <region> <account id>
'use strict';

const path = require('node:path');
const fs = require('node:fs');

const [oslsDir, statePath, endpoint, region, accountId] = process.argv.slice(2);
const lib = (...p) => require(path.join(oslsDir, 'lib', ...p));
const { updateStage } = lib('plugins', 'aws', 'package', 'compile', 'events', 'api-gateway', 'lib', 'hack', 'update-stage.js');
const Utils = lib('classes', 'utils.js');

const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const stage = state.service.provider.stage;
const serverless = { service: { provider: state.service.provider } };
serverless.utils = new Utils(serverless);

const ctx = {
  state,
  serverless,
  options: { stage, region },
  provider: {
    getAwsSdkV3Config: async () => ({
      region,
      endpoint,
      credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
      maxAttempts: 1,
    }),
    // The real one asks STS (sts:GetCallerIdentity).
    getAccountInfo: async () => ({ accountId, partition: 'aws' }),
    getApiGatewayStage: () => stage,
    naming: { getApiGatewayName: () => `${stage}-${state.service.service}` },
  },
};

updateStage.call(ctx).then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  }
);
