/* md.c - placeholder, being written. */
