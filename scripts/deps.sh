# Sourced by scripts/test and scripts/bench: installs the Debian packages the
# project needs, only those that are missing. Needs root or sudo.
STALLOC_DEBIAN_PACKAGES=(
  build-essential cmake pkg-config python3
  googletest libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev
  zlib1g-dev libzstd-dev
  valgrind clang-14 libclang-rt-14-dev python3-matplotlib python3-jsonschema
  sqlite3 git zstd
  # the program catalog (workloads/programs/catalog.json; a test checks these cover it)
  g++ perl coreutils
)

stalloc_install_deps() {
  local missing=() pkg
  for pkg in "${STALLOC_DEBIAN_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing missing Debian packages: ${missing[*]}" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "error: missing packages (${missing[*]}) and not root; install them or run as root" >&2
      return 1
    fi
  fi
  $sudo apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
}
