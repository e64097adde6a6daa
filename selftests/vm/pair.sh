#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot two guests on one virtual Ethernet segment and run a command in each:
# a server guest (MAC 52:54:00:6d:78:01) and a client guest (:02). This is
# vm/cluster.sh with one server; see there for the link, the environment
# the guests get, the files and the exit status.
#
#   pair.sh -d SHARED_DIR [-k KVER] [-S MEM] [-C MEM] [-t SECS]
#           -s "SERVER COMMAND" -c "CLIENT COMMAND"
exec "$(dirname "${BASH_SOURCE[0]}")/cluster.sh" "$@"
