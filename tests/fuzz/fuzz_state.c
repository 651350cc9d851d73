/* fuzz_state.c - libFuzzer target: state.json bytes through state_parse,
 * and an accepted state back through state_format and state_parse.
 *
 * Proves: a truncated or tampered state.json never crashes `state`,
 * `list` or `delete`; whatever state_parse accepts, state_format writes
 * out in a form state_parse accepts again with the same id and pid (a
 * state written by ocirt is always readable by ocirt).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/runtime/state.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocirt_error_t err = NULL;
  struct container_state st, again;
  char *text;

  if (state_parse ((const char *) data, size, &st, &err) < 0)
    {
      if (err == NULL || err->message == NULL || err->message[0] == '\0')
        abort ();
      error_release (&err);
      state_clear (&st);
      return 0;
    }
  text = state_format (&st);
  if (text == NULL)
    abort ();
  if (state_parse (text, strlen (text), &again, &err) < 0)
    abort ();  /* ocirt cannot read back what it wrote */
  if (strcmp (st.id, again.id) != 0 || st.pid != again.pid
      || st.start_time != again.start_time || st.has_exit != again.has_exit)
    abort ();
  state_clear (&again);
  state_clear (&st);
  free (text);
  return 0;
}
