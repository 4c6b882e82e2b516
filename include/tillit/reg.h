/* reg.h - placeholder. */
