/* fuzz_process.c - libFuzzer target: a bare process object (what
 * `exec --process FILE` reads) through oci_process_parse.
 *
 * Proves: no input crashes, leaks or reads out of bounds; a refusal always
 * carries a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../oci/config.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocirt_error_t err = NULL;
  struct oci_process *p;

  p = oci_process_parse ((const char *) data, size, "process.json", &err);
  if (p == NULL)
    {
      if (err == NULL || err->message == NULL || err->message[0] == '\0')
        abort ();
      error_release (&err);
      return 0;
    }
  oci_process_free (p);
  return 0;
}
