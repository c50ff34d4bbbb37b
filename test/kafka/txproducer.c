/* txproducer: a transactional librdkafka producer for tests of read_committed ingest.
 * usage: txproducer BROKERS TOPIC PARTITION PLAN
 * PLAN is a list of transactions, each C<n> (commit n messages) or A<n> (abort n messages),
 * e.g. "C3,A2,C1". Messages are `key:value` pairs: key "<txn>-<i>", value
 * {"txn":<txn>,"i":<i>,"committed":true|false}, header outcome=commit|abort.
 * Prints one line per transaction ("commit 3" / "abort 2") once it has ended; exits non-zero on
 * any error. Built by test/kafka/txproducer.ts into .cache/txproducer (gcc ... -lrdkafka). */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, rd_kafka_error_t *error) {
        fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return 1;
}

int main(int argc, char **argv) {
        char errstr[512];
        if (argc != 5) { fprintf(stderr, "usage: txproducer BROKERS TOPIC PARTITION PLAN\n"); return 2; }
        const char *topic = argv[2];
        int partition = atoi(argv[3]);
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "transactional.id", "lakehouse-test-txproducer", errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr))) {
                fprintf(stderr, "config: %s\n", errstr);
                return 1;
        }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
        rd_kafka_error_t *error = rd_kafka_init_transactions(rk, 10000);
        if (error) return fail("init_transactions", error);

        char *plan = strdup(argv[4]);
        int txn = 0;
        for (char *step = strtok(plan, ","); step; step = strtok(NULL, ","), txn++) {
                int commit = step[0] == 'C', n = atoi(step + 1);
                if ((step[0] != 'C' && step[0] != 'A') || n < 0) { fprintf(stderr, "bad plan step %s\n", step); return 2; }
                if ((error = rd_kafka_begin_transaction(rk))) return fail("begin_transaction", error);
                for (int i = 0; i < n; i++) {
                        char key[64], value[128];
                        snprintf(key, sizeof(key), "%d-%d", txn, i);
                        snprintf(value, sizeof(value), "{\"txn\":%d,\"i\":%d,\"committed\":%s}", txn, i, commit ? "true" : "false");
                        rd_kafka_resp_err_t err = rd_kafka_producev(rk,
                                RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, strlen(value)),
                                RD_KAFKA_V_HEADER("outcome", commit ? "commit" : "abort", -1),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                        if (err) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err)); return 1; }
                }
                if (commit) { if ((error = rd_kafka_commit_transaction(rk, 10000))) return fail("commit_transaction", error); }
                else {
                        /* Flush first: the aborted records are then in the log, as a real abort leaves them. */
                        rd_kafka_flush(rk, 10000);
                        if ((error = rd_kafka_abort_transaction(rk, 10000))) return fail("abort_transaction", error);
                }
                printf("%s %d\n", commit ? "commit" : "abort", n);
                fflush(stdout);
        }
        free(plan);
        rd_kafka_destroy(rk);
        return 0;
}
