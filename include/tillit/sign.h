/* sign.h - placeholder. */
