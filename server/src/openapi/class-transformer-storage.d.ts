// class-transformer ships the storage that class-validator-jsonschema reads without its own typings.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
