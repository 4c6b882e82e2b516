/* pub.c - placeholder, being written. */
