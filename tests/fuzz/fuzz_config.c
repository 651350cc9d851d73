/* fuzz_config.c - libFuzzer target: config.json bytes through the parser
 * and, when they parse, the validator.
 *
 * Proves: no input makes oci_config_parse or oci_config_validate crash,
 * leak (ASan's leak check at exit), read out of bounds, or hit undefined
 * behaviour; a failure always carries a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../oci/config.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocirt_error_t err = NULL;
  struct oci_config *cfg;

  cfg = oci_config_parse ((const char *) data, size, "config.json", &err);
  if (cfg == NULL)
    {
      if (err == NULL || err->message == NULL || err->message[0] == '\0')
        abort ();  /* a refusal must say why */
      error_release (&err);
      return 0;
    }
  if (oci_config_validate (cfg, "config.json", &err) < 0)
    {
      if (err == NULL || err->message == NULL || err->message[0] == '\0')
        abort ();
      error_release (&err);
    }
  oci_config_free (cfg);
  return 0;
}
