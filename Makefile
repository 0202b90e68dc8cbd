# Every target a newcomer or CI needs; `make help` lists them.
SHELL := /bin/bash
GO ?= go
# The Lambda mains, cmd/<dir>: serverless.yml's `artifact: dist/<dir>.zip` lines, so a function
# added there is built without a list to extend (internal/function/catalog reads the same lines).
FUNCTIONS := $(shell sed -nE 's|^ +artifact: +dist/([A-Za-z0-9_-]+)\.zip *$$|\1|p' serverless.yml)
DIST := dist
STAGE ?= dev
REGION ?= us-east-1
GOTEST_FLAGS ?= -race -count=1

.PHONY: help build package deploy test test-browser screenshot conformance lint fuzz bench clean node_modules

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

node_modules: package-lock.json ## install the npm tools (osls, plugin, dynalite, velocityjs) if missing
	@[ -d node_modules/dynalite ] && [ -d node_modules/osls ] && [ -d node_modules/serverless-step-functions ] && [ -d node_modules/velocityjs ] || npm ci --no-audit --no-fund

.PHONY: run
# Built, then run (not `go run`): Ctrl-C then ends make quietly, as the program exits 0.
run: node_modules ## the whole API locally: API on :8080, Step Functions on :8083 (RUN_FLAGS="--data .data" keeps data)
	$(GO) build -o bin/stepjobs-local ./cmd/stepjobs-local
	exec bin/stepjobs-local $(RUN_FLAGS)

.PHONY: load cold-start bench-peer
load: node_modules ## full-size load: 10,000 jobs through a spawned runtime, then 10,000 waiting executions against 500 MB (LOAD_FLAGS=...)
	$(GO) run ./cmd/stepjobs-load $(LOAD_FLAGS)
	$(GO) run ./cmd/stepjobs-load --wait-machine $(LOAD_FLAGS)

cold-start: build ## each function's start-to-first-invoke under the Lambda Runtime API vs a hello-world, and sizes
	$(GO) run ./cmd/stepjobs-load --cold-start

bench-peer: ## executions/s of the engine vs aws-local-stepfunctions (installs Node 22 and the peer into bench/peer/.deps once)
	bench/peer/run.sh

.PHONY: bench-e2e
bench-e2e: node_modules ## end-to-end benchmarks only: job rate and start/describe latency through the local runtime
	$(GO) test -run '^$$' -bench E2E -benchtime 3s ./test/

build: $(FUNCTIONS:%=$(DIST)/%.zip) ## build each Lambda as an arm64 bootstrap zip

# One pattern rule per function: cmd/<name> -> dist/<name>/bootstrap -> dist/<name>.zip.
$(DIST)/%.zip: $(shell find cmd internal -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
	@mkdir -p $(DIST)/$*
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(DIST)/$*/bootstrap ./cmd/$*
	@rm -f $@ && cd $(DIST)/$* && touch -t 202001010000 bootstrap && zip -q -X ../$*.zip bootstrap
	@ls -l $@ | awk '{print $$5, $$9}'

# `sls` is osls (package.json), the maintained open-source continuation of Serverless Framework
# v3: no login, no telemetry, no update notices. Deprecation notices are silenced; `package` also
# keeps the AWS SDK from asking the instance metadata service for credentials.
SLS_ENV := SLS_DEPRECATION_DISABLE='*'

package: build node_modules ## sls package offline (no credentials needed) into .serverless/
	$(SLS_ENV) AWS_EC2_METADATA_DISABLED=true npx sls package --stage $(STAGE) --region $(REGION)

deploy: build node_modules ## sls deploy (needs AWS credentials)
	$(SLS_ENV) npx sls deploy --stage $(STAGE) --region $(REGION)

test: node_modules ## the whole offline test suite (race detector on), then the conformance counts
	$(GO) test $(GOTEST_FLAGS) ./...
	@$(MAKE) --no-print-directory conformance

test-browser: node_modules ## the console's browser tests in headless Chromium (fails when chromium is missing)
	BROWSER_TESTS=1 $(GO) test $(GOTEST_FLAGS) ./test/browser/...

screenshot: ## refresh docs/console.png from the browser test
	UPDATE_SCREENSHOT=1 BROWSER_TESTS=1 $(GO) test -count=1 -run TestConsoleInChromium ./test/browser

# Run in the package directory ("local directory mode"), so go test shows what the tests print.
conformance: ## conformance counts: the Step Functions API calls (internal/sfnapi) and executions per area (internal/sfn/testdata), VTL against AWS recordings (internal/vtl/testdata/aws), the JSONata reference suite (shared/conformance/jsonata)
	@cd internal/sfnapi && out=$$($(GO) test -count=1 -run '^TestAPICases$$' 2>&1); rc=$$?; \
	  echo "$$out" | grep -v '^ok\|^PASS$$' || true; exit $$rc
	@cd internal/sfn && out=$$($(GO) test -count=1 -run '^TestConformance$$' 2>&1); rc=$$?; \
	  echo "$$out" | grep -v '^ok\|^PASS$$' || true; exit $$rc
	@cd internal/vtl && out=$$($(GO) test -count=1 -run '^TestAWSCorpus$$' 2>&1); rc=$$?; \
	  echo "$$out" | grep -v '^ok\|^PASS$$' || true; exit $$rc
	@cd internal/jsonata && out=$$($(GO) test -count=1 -run '^TestReferenceSuiteCount$$' 2>&1); rc=$$?; \
	  echo "$$out" | grep -v '^ok\|^PASS$$' || true; exit $$rc

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files -o --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Every fuzz target, one after another, FUZZTIME each (go test -fuzz takes one
# target of one package at a time). A finding fails its target, is written by
# go test to the package's testdata/fuzz/<Target>/ (commit it: it becomes a
# regression case that every `make test` replays), and the loop goes on.
FUZZTIME ?= 10m
FUZZ ?= .
fuzz: ## run every fuzz target for FUZZTIME (default 10m) each; FUZZ=regexp of "package target" picks some
	@set -o pipefail; re='$(FUZZ)'; failed=(); n=0; start=$$(date +%s); \
	while read -r pkg targets; do for t in $$targets; do \
	  [[ "$$pkg $$t" =~ $$re ]] || continue; n=$$((n+1)); \
	  echo "== $$pkg $$t ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | grep -v '^fuzz: elapsed' || failed+=("$$pkg $$t"); \
	done; done < <($(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/{t=t" "$$0} /^ok/{if(t!="")print $$2 t; t=""}'); \
	echo "fuzzed $$n targets in $$(( $$(date +%s)-start ))s; findings in: $${failed[*]:-none}"; \
	git status --short -- '*testdata/fuzz*'; [ $${#failed[@]} -eq 0 ]

bench: node_modules ## benchmarks (figures vary with the machine: compare ratios)
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean: ## remove build output
	rm -rf $(DIST) .serverless bin
