/* keys.h - placeholder. */
