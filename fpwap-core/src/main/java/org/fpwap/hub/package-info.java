/**
 * Finding a model by its Hugging Face id in the local Hugging Face cache ({@code models--ORG--NAME/refs,
 * snapshots}), offline: {@link org.fpwap.hub.ModelLocator} turns what the user typed (a directory or an id
 * and revision) into a {@link org.fpwap.hub.ModelLocation}; the cache's place comes from a
 * {@link org.fpwap.hub.HubEnvironment}. Nothing here downloads anything.
 */
package org.fpwap.hub;
