/* conf.h - placeholder. */
