#!/bin/sh
# docker-compose only: the postgres image's pg_hba.conf admits "all" databases from the
# network, which does not cover replication connections; Debezium (in the connect
# container) needs one. The local `c360 infra` cluster gets this from initdb's defaults.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
