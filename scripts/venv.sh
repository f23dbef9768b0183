# Sourced by check.sh and test.sh (from the checkout's root): makes .venv on first use and
# installs the kit into it, editable, only when something that decides the install changed.
# For an editable install that is pyproject.toml alone (dependencies, extras, entry points);
# the sources are read from the checkout, so editing them needs no reinstall. A stamp in .venv
# holds a hash of pyproject.toml, the checkout's path (an editable install points at it) and
# the extras installed; a fresh clone has no .venv, hence no stamp, and installs everything.

# ensure_kit [EXTRA]: the kit installed in .venv, with EXTRA (e.g. dev) when named.
ensure_kit() {
  local extra=${1:-} spec=. stamp=.venv/.apiconform-install want
  if [ -n "$extra" ]; then
    spec=".[$extra]"
  fi
  if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
  fi
  want=$(.venv/bin/python -c 'import hashlib, os
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), os.getcwd())')
  # Line 1 of the stamp: what the install was made from; line 2: the extras it has.
  if [ -f "$stamp" ] && [ -x .venv/bin/apiconform ] && [ "$(sed -n 1p "$stamp")" = "$want" ] \
      && { [ -z "$extra" ] || sed -n 2p "$stamp" | grep -qw -- "$extra"; }; then
    return 0
  fi
  rm -f "$stamp"
  echo "installing apiconform ($spec) into .venv ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
  printf '%s\n%s\n' "$want" "$extra" > "$stamp"
}
