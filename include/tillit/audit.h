/* audit.h - placeholder. */
