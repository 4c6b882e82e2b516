/* sigv.c - placeholder, being written. */
