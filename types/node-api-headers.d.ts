// The part of node-api-headers' API the build uses (the package ships no types).
declare module 'node-api-headers' {
  /** The folder holding node_api.h. */
  export const include_dir: string;
}
