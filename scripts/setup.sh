# Installs what the build and the tests need, each only when missing. Sourced by build.sh,
# serve.sh and test.sh; safe to run again. Everything comes from the Rust, npm and Debian
# package registries: no step downloads a prebuilt binary.

# wasm-pack is not a crate dependency, so its version is pinned here.
WASM_PACK_VERSION=0.15.1

export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Prints the version of a package recorded in Cargo.lock.
locked_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

setup_build_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  [ -f Cargo.lock ] || cargo generate-lockfile
  local bindgen
  bindgen=$(locked_version wasm-bindgen)
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
    # Without --locked: one of wasm-bindgen-cli's locked dependencies is gone from crates.io.
    log "Installing wasm-bindgen-cli $bindgen (the version in Cargo.lock; a few minutes)"
    cargo install wasm-bindgen-cli --version "$bindgen" --force
  fi

  if [ ! -d www/node_modules ] || [ www/package-lock.json -nt www/node_modules/.package-lock.json ]; then
    log "Installing the page's npm packages"
    (cd www && npm ci --no-audit --no-fund)
  fi
}

setup_test_tools() {
  setup_build_tools

  if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]; then
    log "Installing wasm-pack $WASM_PACK_VERSION (about 8 minutes on 2 cores)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
  fi

  local packages=()
  command -v chromium >/dev/null || packages+=(chromium)
  command -v chromedriver >/dev/null || packages+=(chromium-driver)
  # Mesa's lavapipe: a Vulkan device on the CPU, on which `cargo test` runs the WebGPU kernels.
  ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || packages+=(mesa-vulkan-drivers)
  if [ ${#packages[@]} -gt 0 ]; then
    log "Installing ${packages[*]} from Debian"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${packages[@]}"
  fi
  local browser driver
  # Debian's launcher prints a shell error on some machines before the version, from the
  # /dev/shm size check in /etc/chromium.d/dev-shm, so only stdout is read.
  browser=$(chromium --version 2>/dev/null | grep -oE '[0-9]+' | head -1)
  driver=$(chromedriver --version | grep -oE '[0-9]+' | head -1)
  if [ "$browser" != "$driver" ]; then
    log "Chromium $browser and ChromeDriver $driver differ; run: apt-get install chromium chromium-driver"
    return 1
  fi
}
