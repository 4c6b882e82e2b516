/* md.h - placeholder. */
