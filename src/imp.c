/* imp.c - placeholder, being written. */
