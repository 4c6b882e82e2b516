/* imp.h - placeholder. */
