/**
 * Plumbing every reader and writer shares: reserving a file's blocks before it is mapped (so a full disk
 * is a catchable error, never a SIGBUS inside a mapped store), the one exception that names the path,
 * what was being written and the bytes needed, and JSON parse errors worded for the user.
 */
package org.fpwap.io;
