/* reg.c - placeholder, being written. */
