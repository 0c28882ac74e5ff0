# Crowdcare developer tasks. Configuration comes from the environment (see README).

export PATH := /usr/local/go/bin:$(PATH)

GO        ?= go
PKGS      ?= ./...
IMAGE     ?= crowdcare
PG_TEST_URL    ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: help run test test-pg ci bench lint docker

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

run: ## run web, worker and scheduler in one process (embedded SQLite + miniredis unless DATABASE_URL/REDIS_URL are set)
	$(GO) run ./cmd/crowdcare serve

test: ## tests on the embedded backends
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(GO) test -count=1 $(PKGS)

test-pg: ## tests on local PostgreSQL and Redis
	TEST_DATABASE_URL='$(PG_TEST_URL)' TEST_REDIS_URL='$(REDIS_TEST_URL)' $(GO) test -count=1 $(PKGS)

ci: ## the full CI run (installs missing tools, starts services, lint, both test runs)
	bash .ci/run

bench: ## benchmarks only
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint: ## gofmt and go vet
	@files="$$(git ls-files --cached --others --exclude-standard -- '*.go' | xargs -r gofmt -l)"; \
	if [ -n "$$files" ]; then echo "gofmt: needs formatting:"; echo "$$files"; exit 1; fi
	$(GO) vet $(PKGS)

docker: ## build the container image
	docker build -t $(IMAGE) .
