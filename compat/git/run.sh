#!/usr/bin/env bash
# compat/git/run.sh -- the "git" column of compat/run.sh: clone, push and
# pull with the real git and git-lfs binaries against wharf's smart HTTP
# endpoint (scenarios in compat/go/scenarios/git.go, built and run by
# compat/go/run.sh).
exec bash "$(dirname "${BASH_SOURCE[0]}")/../go/run.sh" git
