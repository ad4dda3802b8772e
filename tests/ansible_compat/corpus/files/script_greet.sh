#!/bin/sh
# Used by the corpus case script_module: prints its arguments and where it runs,
# writes a marker, and fails when told to.
echo "args: $*"
echo "count: $#"
if [ "$1" = where ]; then echo "cwd: $(pwd)"; fi
echo "to stderr" >&2
if [ "$1" = fail ]; then exit 7; fi
if [ -n "$MARK" ]; then echo made > "$MARK"; fi
