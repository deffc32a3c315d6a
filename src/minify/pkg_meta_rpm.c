/* The rpm part of the metadata writer (pkg_meta.c): a copy of the SQLite rpmdb without the
 * packages that kept no file. rpm's tables are Packages (hnum, header blob) and one index
 * table per tag (Name, Basenames, Providename, ...), each with a hnum column: the dropped
 * hnums are deleted from all of them, then the file is VACUUMed (same input, same bytes). */
#include <sqlite3.h>
#include "minify/pkg_meta_int.h"
#include "scan/scan.h"

/* Deletes the dropped packages' rows (hnum not in keep_hnums) from every table of a copy of the db. */
int ds_rpmdb_prune(const char *host, const int64_t *keep_hnums, size_t n_keep, ds_err *err) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(host, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        int r = ds_fail(err, "rpm database copy %s: %s", host, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return r;
    }
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=MEMORY; BEGIN; CREATE TEMP TABLE distill_keep(h INTEGER PRIMARY KEY);",
                          NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO distill_keep VALUES(?)", -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n_keep; i++) {
        sqlite3_bind_int64(st, 1, keep_hnums[i]);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    /* Every table with a hnum column (Packages and the index tables: Name, Basenames, ...). */
    ds_strlist tables = {0};
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT m.name FROM main.sqlite_master m, pragma_table_info(m.name) c "
                                    "WHERE m.type = 'table' AND c.name = 'hnum' ORDER BY m.name", -1, &st, NULL);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) ds_strlist_add(&tables, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    for (size_t i = 0; rc == SQLITE_OK && i < tables.n; i++) {
        char *q = sqlite3_mprintf("DELETE FROM main.\"%w\" WHERE hnum NOT IN (SELECT h FROM distill_keep)", tables.v[i]);
        rc = sqlite3_exec(db, q, NULL, NULL, NULL);
        sqlite3_free(q);
    }
    ds_strlist_free(&tables);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT; VACUUM;", NULL, NULL, NULL);
    int r = rc == SQLITE_OK ? 0 : ds_fail(err, "rpm database copy %s: %s", host, sqlite3_errmsg(db));
    if (sqlite3_close(db) != SQLITE_OK && r == 0) r = ds_fail(err, "rpm database copy %s: close failed", host);
    return r;
}

