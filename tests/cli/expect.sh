# Helpers sourced by the CLI test scripts; they need TMP (a scratch folder) and failures (a count).

# fail MESSAGE: report a failed check and count it.
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect_rc CODE command...: exit code CODE; a failing command (CODE != 0) says why on one line
# of stderr.
expect_rc() {
  local code=$1
  shift
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then
    fail "$* -> rc=$rc (want $code): $(cat "$TMP/err")"
  else
    echo "ok:   $* -> $rc"
  fi
  if [ "$code" -ne 0 ] && [ "$(wc -l <"$TMP/err")" -gt 1 ]; then
    fail "$*: more than one line on stderr"
  fi
}

# expect CODE PATTERN -- command...: exit code CODE and stderr matching PATTERN on one line.
expect() {
  local code=$1 pattern=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  local lines
  lines=$(grep -c . "$TMP/err")
  if [ "$rc" -ne "$code" ] || ! grep -q -E -e "$pattern" "$TMP/err" || [ "$lines" -ne 1 ]; then
    echo "FAIL: $* -> rc=$rc (want $code), stderr ($lines lines):"; cat "$TMP/err"
    failures=$((failures + 1))
  else
    echo "ok:   $* -> $rc: $(cat "$TMP/err")"
  fi
}

# data_missing FILE: true when FILE (from ../shared/data) is absent. Under NNMIP_REQUIRE_DATA=1
# (CI) an absent file counts as a failure, so a green run means the data checks ran.
data_missing() {
  [ -f "$1" ] && return 1
  if [ "${NNMIP_REQUIRE_DATA:-0}" = 1 ]; then
    echo "FAIL: $1 missing and NNMIP_REQUIRE_DATA=1"
    failures=$((failures + 1))
  else
    echo "skip: $1 missing"
  fi
  return 0
}
