#!/bin/sh
# One instance of a sharded loadgen run, as an Indexed Job's pod runs it
# (docs/scale-out.md). The Job sets JOB_COMPLETION_INDEX; the spec sets:
#   LOADGEN_INSTANCES   N, the Job's completions
#   LOADGEN_URI_FILE    a file holding the broker's URI (a mounted Secret),
#                       or LOADGEN_URI, the URI itself (written to a 0600
#                       file): the password is never on a command line
#   LOADGEN_RUN_ID      the same hex id for every pod of this run
#   LOADGEN_START_AT    the same wall-clock second (epoch) to start publishing
#   LOADGEN_ARGS        `run /scenario/scenario.yaml` or `bench OPTIONS...`
# The run directory is printed to stdout at the end as a base64 tarball
# between marker lines (loadgen's own output goes to stderr), so
# scripts/collect-runs can take it from `kubectl logs` without a shared
# volume. With LOADGEN_RESULTS=DIR it is also copied there (a shared volume).
# The exit status is loadgen's.
set -u
: "${JOB_COMPLETION_INDEX:?set by an Indexed Job}" "${LOADGEN_INSTANCES:?}"
: "${LOADGEN_RUN_ID:?}" "${LOADGEN_START_AT:?}" "${LOADGEN_ARGS:?}"
LOADGEN=${LOADGEN:-loadgen}
work=$(mktemp -d) || exit 2
uri_file=${LOADGEN_URI_FILE:-}
if [ -z "$uri_file" ]; then
    : "${LOADGEN_URI:?set LOADGEN_URI_FILE (a mounted Secret) or LOADGEN_URI}"
    uri_file="$work/uri"
    (umask 077 && printf '%s\n' "$LOADGEN_URI" > "$uri_file") || exit 2
    unset LOADGEN_URI  # loadgen and what it starts need only the file
fi
dir="$work/instance-$JOB_COMPLETION_INDEX"
# shellcheck disable=SC2086 # LOADGEN_ARGS is a word list by design
"$LOADGEN" $LOADGEN_ARGS --uri-file "$uri_file" --run-id "$LOADGEN_RUN_ID" --start-at "$LOADGEN_START_AT" \
    --report-dir "$dir" 1>&2
rc=$?
if [ -d "$dir" ]; then
    if [ -n "${LOADGEN_RESULTS:-}" ]; then cp -r "$dir" "$LOADGEN_RESULTS/" 1>&2; fi
    echo "-----BEGIN LOADGEN RUN instance-$JOB_COMPLETION_INDEX-----"
    tar -C "$work" -czf - "instance-$JOB_COMPLETION_INDEX" | base64
    echo "-----END LOADGEN RUN-----"
fi
rm -rf "$work"
exit $rc
