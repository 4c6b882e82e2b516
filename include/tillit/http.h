/* http.h - placeholder. */
