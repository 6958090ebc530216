/* swiftnet-sqlite-floor: the floor of one durable change in SQLite as swiftnet configures it
 * (WAL, synchronous=NORMAL, locking_mode=EXCLUSIVE, a checkpoint every 4,000 pages, foreign
 * keys on, the allocation table of its schema; the page size is an argument), with prepared statements and nothing else: an allocation committed, then
 * released, in a transaction each, as one RequestAddress and one ReleaseAddress do.
 *
 * usage: swiftnet-sqlite-floor DATABASE SECONDS [PAGE_SIZE]
 * prints: commits=N seconds=S us_per_commit=U
 * Built by `swiftnet-bench` with `cc -O2 ... -lsqlite3`. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what)
{
    if (SQLITE_OK != rc && SQLITE_DONE != rc && SQLITE_ROW != rc) {
        fprintf(stderr, "swiftnet-sqlite-floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void run(sqlite3 *db, sqlite3_stmt *statement, const char *what)
{
    check(sqlite3_step(statement), db, what);
    sqlite3_reset(statement);
}

int main(int argc, char **argv)
{
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *insert, *delete;
    double seconds, started, elapsed;
    unsigned long commits = 0;
    char address[32], pragma[128];

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s DATABASE SECONDS [PAGE_SIZE]\n", argv[0]);
        return 2;
    }
    seconds = atof(argv[2]);
    unlink(argv[1]);
    check(sqlite3_open(argv[1], &db), db, "open");
    snprintf(pragma, sizeof pragma, "PRAGMA page_size = %d; PRAGMA wal_autocheckpoint = 4000;",
             argc == 4 ? atoi(argv[3]) : 4096);
    check(sqlite3_exec(db, pragma, NULL, NULL, NULL), db, "page size");
    check(sqlite3_exec(db,
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA locking_mode = EXCLUSIVE;"
        "PRAGMA foreign_keys = ON;"
        "CREATE TABLE pool (id TEXT PRIMARY KEY NOT NULL, prefix TEXT NOT NULL);"
        "CREATE TABLE allocation (pool_id TEXT NOT NULL REFERENCES pool(id) ON DELETE CASCADE,"
        " address TEXT NOT NULL, kind TEXT NOT NULL, name TEXT, sequence INTEGER, allocated_at INTEGER,"
        " PRIMARY KEY (pool_id, address)) WITHOUT ROWID;"
        "INSERT INTO pool VALUES ('LocalDefault/10.0.0.0/8', '10.0.0.0/8');", NULL, NULL, NULL), db, "schema");
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), db, "prepare");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO allocation (pool_id, address, kind, name, sequence, allocated_at)"
                                 " VALUES ('LocalDefault/10.0.0.0/8', ?, 'dynamic', NULL, ?, ?)", -1, &insert, NULL), db, "prepare");
    check(sqlite3_prepare_v2(db, "DELETE FROM allocation WHERE pool_id = 'LocalDefault/10.0.0.0/8' AND address = ?",
                             -1, &delete, NULL), db, "prepare");
    started = now();
    do {
        for (int i = 0; i < 100; i++) {
            snprintf(address, sizeof address, "10.0.%lu.%lu", (commits / 250) % 250, commits % 250 + 2);
            run(db, begin, "begin");
            sqlite3_bind_text(insert, 1, address, -1, SQLITE_STATIC);
            sqlite3_bind_int64(insert, 2, (sqlite3_int64) commits);
            sqlite3_bind_int64(insert, 3, (sqlite3_int64) time(NULL));
            run(db, insert, "insert");
            run(db, commit, "commit");
            run(db, begin, "begin");
            sqlite3_bind_text(delete, 1, address, -1, SQLITE_STATIC);
            run(db, delete, "delete");
            run(db, commit, "commit");
            commits += 2;
        }
        elapsed = now() - started;
    } while (elapsed < seconds);
    printf("commits=%lu seconds=%.3f us_per_commit=%.2f\n", commits, elapsed, elapsed * 1e6 / (double) commits);
    sqlite3_close(db);
    unlink(argv[1]);  /* SQLite removes the -wal file when the last connection closes */
    return 0;
}
