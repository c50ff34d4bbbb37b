/* mockbroker: librdkafka's in-process mock Kafka cluster as a standalone server.
 * usage: mockbroker [BROKERS=1] [TOPIC:PARTITIONS ...]
 * Prints the bootstrap list ("127.0.0.1:p1,127.0.0.1:p2,...") as line 1 on stdout,
 * then serves until stdin reaches EOF or SIGTERM/SIGINT arrives.
 * Control commands on stdin, one per line, each answered by "ok" or "error: ...":
 *   topic NAME PARTITIONS          create a topic (CreateTopics API is not mocked)
 *   down ID | up ID                broker ID (-1 = all) refuses / accepts connections
 *   err APIKEY COUNT ERRCODE       next COUNT requests of APIKEY fail with ERRCODE
 *                                  (ERRCODE -195 = __TRANSPORT: broker drops the conn)
 *   clear APIKEY                   drop pending injected errors for APIKEY
 *   rtt ID MS                      add MS milliseconds of latency to broker ID
 *   leader TOPIC PARTITION ID      move partition leadership to broker ID
 *   delay MS                       group initial rebalance delay (librdkafka >= 2.6; default 3000)
 *   deltopic NAME                  delete a topic (librdkafka >= 2.15)
 * env MOCK_REBALANCE_DELAY_MS=N applies "delay N" at startup (librdkafka >= 2.6).
 * build: gcc -O2 -Wall -o mockbroker mockbroker.c -lrdkafka
 * In this project: scripts/build-mock-broker.sh builds it to .cache/mockbroker (Debian's
 * librdkafka-dev 2.0.2, so `delay` and `deltopic` are compiled out); test/kafka/broker.ts runs it.
 * Copied from the shared kafka-mock reference launcher (shared/kafka-mock/mockbroker.c). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_signal(int sig) { (void)sig; } /* only interrupts fgets (no SA_RESTART) */

static void reply(rd_kafka_resp_err_t e) {
        if (e) printf("error: %s\n", rd_kafka_err2str(e)); else printf("ok\n");
        fflush(stdout);
}

int main(int argc, char **argv) {
        char errstr[512], line[1024], a[256];
        int brokers = argc > 1 ? atoi(argv[1]) : 1, i, x, y, z;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers < 1 ? 1 : brokers);
        if (!mc) { fprintf(stderr, "mock cluster creation failed\n"); return 1; }
        /* LeaveGroup v3+ (batched members) is advertised by newer mocks but parsed as v2:
         * kafkajs (which would pick v3) then fails to leave. Cap it at v1 (the 2.0.2 max). */
        rd_kafka_mock_set_apiversion(mc, 13 /* LeaveGroup */, 0, 1);
#if RD_KAFKA_VERSION >= 0x020600ff
        if (getenv("MOCK_REBALANCE_DELAY_MS"))
                rd_kafka_mock_group_initial_rebalance_delay_ms(mc, atoi(getenv("MOCK_REBALANCE_DELAY_MS")));
#endif

        for (i = 2; i < argc; i++) { /* TOPIC:PARTITIONS */
                char *colon = strrchr(argv[i], ':');
                int parts = colon ? atoi(colon + 1) : 1;
                if (colon) *colon = '\0';
                rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, argv[i], parts, 1);
                if (e) { fprintf(stderr, "topic %s: %s\n", argv[i], rd_kafka_err2str(e)); return 1; }
        }
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        while (fgets(line, sizeof(line), stdin)) {
                if (sscanf(line, "topic %255s %d", a, &x) == 2)
                        reply(rd_kafka_mock_topic_create(mc, a, x, 1));
                else if (sscanf(line, "down %d", &x) == 1)
                        reply(rd_kafka_mock_broker_set_down(mc, x));
                else if (sscanf(line, "up %d", &x) == 1)
                        reply(rd_kafka_mock_broker_set_up(mc, x));
                else if (sscanf(line, "rtt %d %d", &x, &y) == 2)
                        reply(rd_kafka_mock_broker_set_rtt(mc, x, y));
                else if (sscanf(line, "leader %255s %d %d", a, &x, &y) == 3)
                        reply(rd_kafka_mock_partition_set_leader(mc, a, x, y));
#if RD_KAFKA_VERSION >= 0x020600ff
                else if (sscanf(line, "delay %d", &x) == 1) {
                        rd_kafka_mock_group_initial_rebalance_delay_ms(mc, x);
                        reply(RD_KAFKA_RESP_ERR_NO_ERROR);
                }
#endif
#if RD_KAFKA_VERSION >= 0x020f00ff
                else if (sscanf(line, "deltopic %255s", a) == 1)
                        reply(rd_kafka_mock_topic_delete(mc, a));
#endif
                else if (sscanf(line, "clear %d", &x) == 1) {
                        rd_kafka_mock_clear_request_errors(mc, (int16_t)x);
                        reply(RD_KAFKA_RESP_ERR_NO_ERROR);
                } else if (sscanf(line, "err %d %d %d", &x, &y, &z) == 3 && y > 0 && y <= 1000) {
                        rd_kafka_resp_err_t errs[1000];
                        for (i = 0; i < y; i++) errs[i] = (rd_kafka_resp_err_t)z;
                        rd_kafka_mock_push_request_errors_array(mc, (int16_t)x, (size_t)y, errs);
                        reply(RD_KAFKA_RESP_ERR_NO_ERROR);
                } else if (line[0] != '\n') { printf("error: bad command\n"); fflush(stdout); }
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
