# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine: they build .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CPU wheel by default; a GPU user sets e.g. TORCH="torch==2.5.1 --index-url https://download.pytorch.org/whl/cu124"
TORCH ?= torch==2.13.0

.PHONY: venv test lint format demo bench clean assets browser

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)
	SAM2_BUILD_CUDA=0 $(BIN)/pip install -q --no-build-isolation --no-deps sam2==1.1.0
	# opencv-contrib (CSRT) replaces the plain wheel an older .venv may hold: both own the cv2 folder
	$(BIN)/pip uninstall -q -y opencv-python-headless 2>/dev/null || true
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

venv: $(BIN)/.installed

test: venv
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

demo: venv
	$(BIN)/amodal-vos demo --out demo_out --force

bench: venv
	$(BIN)/python bench/sca_overhead.py

# Debian packages with the photos and clip art of the realistic generator (amodal_vos/data/assets.py, ~147 MB
# download): installed only when missing; without root or apt it says what to run and carries on.
ASSET_PACKAGES := openclipart-png lomiri-wallpapers-16.04

assets:
	@missing=$$(for p in $(ASSET_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q " installed$$" || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "assets: installed ($(ASSET_PACKAGES))"; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "assets: missing" $$missing "- run as root: make assets (realistic-data tests skip until then)"; \
	else export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends $(ASSET_PACKAGES) >/dev/null && \
		echo "assets: installed" $$missing; fi

# Debian's chromium + chromium-driver for the app's browser test (tests/app/test_app_browser.py; it skips without
# them): installed only when missing; without root or apt it says what to run and carries on. Never a downloaded browser.
BROWSER_PACKAGES := chromium chromium-driver

browser:
	@missing=$$(for p in $(BROWSER_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q " installed$$" || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "browser: installed ($(BROWSER_PACKAGES))"; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "browser: missing" $$missing "- run as root: make browser (the browser test skips until then)"; \
	else export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) >/dev/null && \
		echo "browser: installed" $$missing; fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
