# Long-running developer tasks. The test suite (scripts/test) runs a short fuzzing smoke test;
# `make fuzz` runs every fuzz target for FUZZ_SECONDS each, growing fuzz/corpus/<target>/.

PYTHON ?= $(if $(wildcard .venv/bin/python),$(abspath .venv/bin/python),python3)
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= armor clearsign packets cert manifest
FUZZ_FLAGS ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz $(addprefix fuzz-,$(FUZZ_TARGETS))

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))

$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%:
	mkdir -p fuzz/corpus/$*
	cd fuzz && $(PYTHON) fuzz_$*.py $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=corpus/$*- corpus/$*
