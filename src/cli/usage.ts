/**
 * The CLI's help text and its command names: read by \`lakehouse help\` (main.ts) and by shell
 * completion (completion-command.ts), which main.ts loads as one of its commands; here so that
 * neither imports the other. main.ts's command table is typed by these names, so the two agree.
 */

/** The commands as typed (completion lists them; it is a command itself, listed apart). */
export const COMMAND_NAMES = [
  'query',
  'tables',
  'history',
  'changes',
  'optimize',
  'vacuum',
  'ingest',
  'sample',
  'produce',
  'dead-letters',
  'trace',
  'refine',
  'run',
  'refresh',
  'graph',
  'demo',
  'export-spark',
] as const

export type CommandName = (typeof COMMAND_NAMES)[number]

export const USAGE = `Local Lakehouse: a local Delta Lake with SQL over it.

Usage:
  lakehouse demo [--dir DIR] [--broker HOST:PORT] [--format text|json]
      The whole seed pipeline on an embedded capture of two topics (a MongoDB customers
      collection through Debezium, and JSON orders with line items): replayed into raw, refined
      through the change feed into refined (customers upserted and deleted by id, orders with
      their items exploded), then a short report. Everything goes to DIR (default
      ./lakehouse-demo); running it again is safe. --broker produces the capture to that Kafka
      first (to empty topics) and ingests from it.
  lakehouse query [--lake DIR] [--format table|json|csv|markdown] [--stats] ("SQL" | --file FILE.sql)
      Run SQL over the lake: one statement or several separated by ';' (each result printed as
      it comes; the first error stops the run and says line:column). Queries are DuckDB SQL;
      Spark's writing statements run on the lake's Delta tables: INSERT [OVERWRITE], UPDATE,
      DELETE, MERGE INTO, TRUNCATE, CREATE [OR REPLACE] TABLE [AS SELECT | LIKE], DROP TABLE,
      ALTER TABLE, OPTIMIZE [ZORDER BY], VACUUM, RESTORE, SHOW TABLES/TBLPROPERTIES/COLUMNS/
      CREATE TABLE, DESCRIBE TABLE. Tables are zone.table (raw.orders, refined.orders), or any
      Delta table by path with Spark's syntax: delta.\`/path/to/table\` (relative to --lake).
      Spark's time travel and change feed work: raw.orders VERSION AS OF 3,
      raw.orders TIMESTAMP AS OF '2026-11-24 10:00', table_changes('raw.orders', 2, 5),
      DESCRIBE HISTORY raw.orders, DESCRIBE DETAIL raw.orders.
      --stats prints, per table, how many files were read and how many were skipped.
  lakehouse tables [--lake DIR] [--format table|json|csv|markdown] [--all]
      List the lake's tables (<lake>/<zone>/<table>) with their version, number of files,
      size in bytes and the time of their last commit. --all also lists the document-state
      tables that MongoDB flows keep (<zone>._<flow>_documents).
  lakehouse history [--lake DIR] [--limit N] [--format table|json|csv|markdown] TABLE
      The table's commits, newest first: version, timestamp, operation, the rows it inserted,
      updated and deleted, the files it added and removed, and its parameters (with
      --format json: every column of DESCRIBE HISTORY, parameters and metrics as objects).
      --limit N: the newest N only.
  lakehouse changes [--lake DIR] --from V [--to V] [--format table|json|csv|markdown] TABLE
      The change data feed from V to V (inclusive; default: to the latest version): the changed
      rows with _change_type, _commit_version and _commit_timestamp (what
      table_changes('TABLE', from, to) answers). V is a version number or a timestamp
      ('2026-11-24 10:00:00', UTC unless it names a zone). The table needs
      delta.enableChangeDataFeed = true for versions that update or delete rows.
  lakehouse optimize [--lake DIR] [--target-size BYTES] TABLE
      Compact small files: per partition, files smaller than the target size are rewritten
      together into files of up to that size (and files with deletion vectors are rewritten
      without the deleted rows). BYTES: a number, or with a unit: 64mb, 1gb. Default: the
      table's delta.targetFileSize, else 128mb. The old files stay until VACUUM deletes them.
  lakehouse vacuum [--lake DIR] [--retention-hours H] [--dry-run] [--force] TABLE
      Delete the files under the table that no version within the retention needs. Default
      retention: the table's delta.deletedFileRetentionDuration, else 7 days (168 hours).
      --dry-run lists what would be deleted and deletes nothing. A retention shorter than the
      table's is refused without --force (only use it when nothing is reading or writing the
      table: time travel to older versions fails afterwards).
  lakehouse ingest --pipeline FILE [--source NAME] [--until-caught-up]
      Run the pipeline file's sources (all, or NAME) into their raw tables, exactly once: Kafka
      topics continuously until Ctrl-C (the open batch is finished first), or with
      --until-caught-up up to the end offsets seen at start; captured files to their end.
      Undecodable messages go to raw._dead_letters with the reason.
  lakehouse sample --pipeline FILE --source NAME [--limit N]
      Print N (default 20) messages of a source decoded, and the schema inferred from them with
      the source's schemaHints applied, as JSON: a capture file's first N, a Kafka topic's latest
      N (spread over its partitions, with their offsets and the source group's lag; no offsets
      are committed).
  lakehouse produce --pipeline FILE --topic T (--file CAPTURE | --value JSON [--key K]
                   [--header k=v]...) [--partition P] [--rate N/s] [--count N]
      Produce test messages to a topic of a dev cluster (the pipeline file's "kafka" must say
      "dev": true; any other cluster is refused): each record of a kcat -J capture (key,
      headers, payload), each line of an NDJSON file as a value, or one --value (--count N sends
      it N times; with --file, the first N). When a source reads the topic as avro, protobuf or
      json-schema, each value is JSON encoded with the latest schema of subject <topic>-value
      in the schema registry. Partition: --partition, else by key. Prints where they landed.
  lakehouse dead-letters list --pipeline FILE [--source S] [--reason R] [--by-hour | --letters
                   [--state open|replayed|discarded|produced|all]] [--format FORMAT]
  lakehouse dead-letters show --pipeline FILE [--hex] [--json] LETTER
  lakehouse dead-letters replay --pipeline FILE (LETTER [--value V] | --source S [--reason R]
                   | --all) [--patch JSON|@FILE]
  lakehouse dead-letters produce --pipeline FILE (LETTER [--value V] | --source S [--reason R]
                   | --all) [--patch JSON|@FILE]
  lakehouse dead-letters discard --pipeline FILE (LETTER | --source S [--reason R] | --all)
                   --note TEXT
      Triage what the sources could not decode (raw._dead_letters). list: counts per source,
      reason and state (open, replayed, discarded, produced), per hour of the messages' time with
      --by-hour, or each letter (source/topic/partition/offset) with --letters. show: one letter:
      its coordinates, key, headers, value as text (or hex), the reason and detail with the
      position where decoding failed, and what it decodes to now. replay: decode the open
      letters again with the pipeline file as it is now (after fixing the format or
      schemaHints), with an edited --value for one letter, or with a JSON Patch (RFC 6902)
      applied to each selected letter's value, and write those that decode into the source's
      raw table with their original coordinates, exactly once even if interrupted (rerun it).
      produce: send the open letters' values, fixed as for replay, back to their topic and
      partition on a dev cluster (others are refused), with their keys, headers and a header
      lakehouse-dead-letter: source/topic/partition/offset; a value that still does not decode
      is not sent. At least once: a process killed after a send and before the letters are
      recorded as produced leaves them open. discard: close letters with a note. Each decision
      is kept in raw._dead_letter_states.
  lakehouse trace --pipeline FILE --message TOPIC/PARTITION/OFFSET [--json]
  lakehouse trace --pipeline FILE TABLE --where "PREDICATE" [--limit N] [--json]
      Lineage. --message: what a Kafka message became, for each source reading its topic: a raw
      row (its table, the version that wrote it, key and time) and the refined rows it became
      (table, key, version), or a dead letter (reason, and whether it is open, replayed,
      discarded or produced), and the letter a message was produced from. TABLE --where: for
      each matching row (at most N, default 100) of a refined table, a view or a raw table, the
      raw rows it came from (raw table and version) with each message's topic, partition,
      offset, key and time; for a cdc table the chain of changes, in sequence order, since the
      key was last deleted; for a view, its source rows, traced.
  lakehouse refine --pipeline FILE [--flow NAME] [--until-caught-up] [--full-refresh]
      Run the pipeline's flows (all, or NAME): each reads its source table's change data feed
      from where it stopped, transforms the rows and writes its refined table exactly once
      (append, or MERGE by key for cdc flows), then waits for new source versions until Ctrl-C.
      --until-caught-up stops at the source versions seen at start. --full-refresh empties the
      flow's tables and rebuilds them from the source's current snapshot (when the change data
      the flow needs was vacuumed away).
  lakehouse run --pipeline FILE [--source NAME]... [--flow NAME]... [--until-caught-up] [--events]
      Ingest and refine together until Ctrl-C: flows wake on each new source version.
      --until-caught-up ingests to the end offsets seen at start, refines that, and stops.
      --events prints progress as JSON lines on stdout ({"type":"job"|"batch"|"refresh",...}).
      With "definitions" (Spark Declarative Pipelines SQL files), their streaming tables and
      flows run with the JSON flows, and the materialized views are refreshed after them (and
      again on each new version of a table they read). refine refreshes them too.
  lakehouse refresh --pipeline FILE [--view NAME]... [--full]
      Refresh the materialized views of the pipeline's definitions in dependency order:
      incrementally where the query allows it (the rows of the keys the sources' change feeds
      touched are recomputed), else recomputed whole; either way only the rows that changed are
      written. --full recomputes every view. Each line says which way a refresh went and why.
  lakehouse graph --pipeline FILE [--format text|dot|json]
      The pipeline's graph: sources → raw tables → flows → refined tables → materialized views,
      with each table's version and rows and each view's last refresh.
  lakehouse export-spark --pipeline FILE --out DIR
      Write the pipeline as PySpark Structured Streaming jobs into DIR: one per source (Kafka to
      the raw table), one per flow (change feed to refined, MERGE for cdc flows), their helper
      module, and a Delta Live Tables file. When the lake exists they continue from it: Kafka
      starting offsets and change-feed starting versions come from its txn actions.
  lakehouse help
      Show this text (so do --help and -h, also after a command).

TABLE is zone.table (raw.orders), or the path of a Delta table containing '/' (./orders,
/data/events), relative to --lake.

Options:
  --dir DIR            (demo) where the demo writes its captures, pipeline file and lake
  --broker HOST:PORT   (demo) a Kafka broker to produce the capture to and ingest from
  --lake DIR           the lake folder. Default: $LAKEHOUSE_LAKE, else the lake that the
                       lakehouse.json (or the only *.lakehouse.json) of the current folder or
                       the nearest one above names, else the current folder
  --format FORMAT      table (default; fits the terminal, long cells elided in the middle),
                       json (an array of row objects), csv or markdown
  --stats              (query) print files read and skipped per table on stderr
  --file FILE.sql      (query) run the statements of a .sql file instead of one SQL text
  --limit N            (history) only the newest N commits; (trace) at most N rows
  --from V, --to V     (changes) the first and last version or timestamp
  --target-size BYTES  (optimize) the size of the files to write
  --retention-hours H  (vacuum) keep what versions of the last H hours need
  --dry-run            (vacuum) list, do not delete
  --force              (vacuum) allow a retention shorter than the table's
  --pipeline FILE      (ingest, sample, refine, run, export-spark) the pipeline file (lakehouse.json)
  --source NAME        (ingest, sample) one source of the pipeline
  --until-caught-up    (ingest, refine, run) stop once caught up with what existed at start
  --flow NAME          (refine, run) one flow of the pipeline
  --topic T            (produce) the topic to write to
  --patch JSON|@FILE   (dead-letters replay, produce) a JSON Patch (RFC 6902) applied to each letter's value
  --note TEXT          (dead-letters discard) why, kept with the letters
  --message T/P/O      (trace) a message by topic, partition and offset
  --where PREDICATE    (trace) the rows of TABLE to trace (DuckDB SQL over its columns)
  --full-refresh       (refine) rebuild the flow's tables from the source's snapshot
  --events             (run) progress as JSON lines
  --view NAME          (refresh) one materialized view (zone.table) of the definitions
  --full               (refresh) recompute the views whole
  --out DIR            (export-spark) where the PySpark files go

Shell completion: source <(lakehouse completion bash) in ~/.bashrc (zsh: the same with zsh;
fish: lakehouse completion fish > ~/.config/fish/completions/lakehouse.fish).

Exit codes: 0 done (also when a reader such as head closes the output early), 1 the command
failed (the reason is on stderr), 2 wrong usage or a pipeline file with problems (each listed
with its JSON path).
`
