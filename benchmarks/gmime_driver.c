/* GMime 3 side of benchmarks/mime_bench.py: full parse and decode of a corpus.
 *
 * Usage: gmime_driver CORPUS REPEAT
 *
 * CORPUS is one file of messages, each preceded by its length in decimal and
 * a newline (mime_bench.py writes it). The whole file is read into memory
 * first; only the parse + decode loop is timed (CPU time of the process, as
 * mime_bench.py times its own contenders), best of REPEAT runs. For each
 * message the driver does the work mime_bench.py asks of mailroom and of
 * Python's email:
 *   - parse it (g_mime_parser_construct_message on a memory stream);
 *   - walk every part, into multiparts and message/rfc822 parts;
 *   - decode every header value of every part (RFC 2047, unfolded:
 *     g_mime_header_get_value);
 *   - decode each leaf's content transfer encoding
 *     (g_mime_data_wrapper_write_to_stream); for text leaves convert the
 *     charset to UTF-8 (a GMime charset filter when the charset is not UTF-8
 *     or US-ASCII) and validate the result as UTF-8 (g_utf8_validate), as
 *     building a Python str does.
 * It prints one line: "messages=N bytes=B seconds=S leaf_bytes=L".
 */
#include <gmime/gmime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const char *data;
  size_t len;
} Blob;

static size_t sink; /* decoded sizes, so no work can be skipped */

static void walk_headers(GMimeObject *obj) {
  GMimeHeaderList *list = g_mime_object_get_header_list(obj);
  int n = g_mime_header_list_get_count(list);
  for (int i = 0; i < n; i++) {
    GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
    const char *value = g_mime_header_get_value(h);
    if (value) sink += strlen(value);
  }
}

static int utf8_charset(const char *charset) {
  return charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0 ||
         g_ascii_strcasecmp(charset, "us-ascii") == 0;
}

static void decode_leaf(GMimePart *part) {
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  if (content == NULL) return;
  GByteArray *bytes = g_byte_array_new();
  GMimeStream *out = g_mime_stream_mem_new_with_byte_array(bytes);
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
  GMimeContentType *type = g_mime_object_get_content_type(GMIME_OBJECT(part));
  int is_text = g_mime_content_type_is_type(type, "text", "*");
  const char *charset = is_text ? g_mime_content_type_get_parameter(type, "charset") : NULL;
  if (is_text && !utf8_charset(charset)) {
    GMimeStream *filtered = g_mime_stream_filter_new(out);
    GMimeFilter *convert = g_mime_filter_charset_new(charset, "UTF-8");
    if (convert) {
      g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), convert);
      g_object_unref(convert);
    }
    g_mime_data_wrapper_write_to_stream(content, filtered);
    g_mime_stream_flush(filtered);
    g_object_unref(filtered);
  } else {
    g_mime_data_wrapper_write_to_stream(content, out);
  }
  if (is_text) sink += g_utf8_validate((const gchar *)bytes->data, (gssize)bytes->len, NULL);
  sink += bytes->len;
  g_object_unref(out);
  g_byte_array_free(bytes, TRUE);
}

static void walk_object(GMimeObject *obj);

static void walk_message(GMimeMessage *message) {
  walk_headers(GMIME_OBJECT(message));
  GMimeObject *body = g_mime_message_get_mime_part(message);
  if (body) walk_object(body);
}

static void walk_object(GMimeObject *obj) {
  walk_headers(obj);
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart *mp = GMIME_MULTIPART(obj);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; i++) walk_object(g_mime_multipart_get_part(mp, i));
  } else if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner) walk_message(inner);
  } else if (GMIME_IS_PART(obj)) {
    decode_leaf(GMIME_PART(obj));
  }
}

static int parse_and_decode(const Blob *msg) {
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer(msg->data, msg->len);
  GMimeParser *parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
  g_object_unref(parser);
  g_object_unref(stream);
  if (message == NULL) return -1;
  walk_message(message);
  g_object_unref(message);
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
  if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  buf[size] = '\0';
  *len = (size_t)size;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s CORPUS REPEAT\n", argv[0]);
    return 2;
  }
  int repeat = atoi(argv[2]);
  if (repeat < 1) repeat = 1;
  size_t len = 0;
  char *buf = read_file(argv[1], &len);
  if (buf == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  size_t cap = 1024, count = 0, total = 0;
  Blob *msgs = malloc(cap * sizeof *msgs);
  for (size_t pos = 0; pos < len;) {
    char *end = NULL;
    unsigned long long n = strtoull(buf + pos, &end, 10);
    if (end == buf + pos || *end != '\n' || n > len - (size_t)(end + 1 - buf)) {
      fprintf(stderr, "corrupt corpus at byte %zu\n", pos);
      return 1;
    }
    if (count == cap) msgs = realloc(msgs, (cap *= 2) * sizeof *msgs);
    msgs[count].data = end + 1;
    msgs[count].len = (size_t)n;
    total += (size_t)n;
    count++;
    pos = (size_t)(end + 1 - buf) + (size_t)n;
  }

  g_mime_init();
  double best = -1;
  size_t leaf_bytes = 0;
  for (int r = 0; r < repeat; r++) {
    sink = 0;
    double t0 = now();
    for (size_t i = 0; i < count; i++) {
      if (parse_and_decode(&msgs[i]) != 0) {
        fprintf(stderr, "GMime could not parse message %zu\n", i);
        return 1;
      }
    }
    double t = now() - t0;
    if (best < 0 || t < best) best = t;
    leaf_bytes = sink;
  }
  g_mime_shutdown();
  printf("messages=%zu bytes=%zu seconds=%.6f leaf_bytes=%zu\n", count, total, best, leaf_bytes);
  free(msgs);
  free(buf);
  return 0;
}
