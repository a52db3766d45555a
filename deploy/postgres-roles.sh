#!/bin/sh
# The PostgreSQL database and its two roles (README, "Production"; docs/security.md).
# Run as root on the database host, once, after installing Hotline in /srv/hotline:
#
#   sh deploy/postgres-roles.sh
#
# - The tables belong to `postgres` (the owner): only it runs `hotline db upgrade`,
#   and only an owner or a superuser can drop or disable the audit log's triggers.
# - The web and scheduler processes connect as `hotline` (the runtime role, peer
#   authentication over the Unix socket as the system user hotline). It may read and
#   write the call log and the console's tables, and only INSERT and SELECT on the
#   audit log: it cannot change, delete or truncate a line, nor lift the triggers.
#
# After every upgrade that adds tables, run the last two commands again.
set -eu
HOTLINE=/srv/hotline/.venv/bin/hotline
OWNER_URL="postgresql+psycopg://postgres@/hotline?host=/run/postgresql"

sudo -u postgres createuser --no-superuser --no-createdb --no-createrole hotline || true
sudo -u postgres createdb --owner postgres hotline || true
# Nobody but the owner creates objects in the schema (PostgreSQL 15+ already says so).
sudo -u postgres psql -q -d hotline -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
sudo -u postgres env HOTLINE_DATABASE_URL="$OWNER_URL" "$HOTLINE" db upgrade
sudo -u postgres env HOTLINE_DATABASE_URL="$OWNER_URL" "$HOTLINE" db grants hotline --apply
