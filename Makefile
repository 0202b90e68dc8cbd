# Every target a newcomer or CI needs; `make help` lists them.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := tracking batch-simulation status-update
DIST := dist
STAGE ?= dev
REGION ?= us-east-1
GOTEST_FLAGS ?= -race -count=1

.PHONY: help build package deploy test lint bench clean node_modules

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

node_modules: package-lock.json ## install the npm tools (serverless, plugin, dynalite) if missing
	@[ -d node_modules/dynalite ] && [ -d node_modules/serverless ] || npm ci --no-audit --no-fund

.PHONY: run
run: node_modules ## the whole API locally: API on :8080, Step Functions on :8083 (RUN_FLAGS="--data .data" keeps data)
	$(GO) run ./cmd/stepjobs-local $(RUN_FLAGS)

.PHONY: load
load: node_modules ## end-to-end benchmarks only: job rate and start/describe latency through the local runtime
	$(GO) test -run '^$$' -bench E2E -benchtime 3s ./test/

build: $(FUNCTIONS:%=$(DIST)/%.zip) ## build each Lambda as an arm64 bootstrap zip

# One pattern rule per function: cmd/<name> -> dist/<name>/bootstrap -> dist/<name>.zip.
$(DIST)/%.zip: $(shell find cmd internal -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
	@mkdir -p $(DIST)/$*
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(DIST)/$*/bootstrap ./cmd/$*
	@rm -f $@ && cd $(DIST)/$* && touch -t 202001010000 bootstrap && zip -q -X ../$*.zip bootstrap
	@ls -l $@ | awk '{print $$5, $$9}'

package: build node_modules ## sls package offline into .serverless/
	npx sls package --stage $(STAGE) --region $(REGION)

deploy: build node_modules ## sls deploy (needs AWS credentials)
	npx sls deploy --stage $(STAGE) --region $(REGION)

test: node_modules ## the whole offline test suite (race detector on)
	$(GO) test $(GOTEST_FLAGS) ./...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files -o --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench: node_modules ## benchmarks (figures vary with the machine: compare ratios)
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean: ## remove build output
	rm -rf $(DIST) .serverless bin
