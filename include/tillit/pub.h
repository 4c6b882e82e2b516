/* pub.h - placeholder. */
