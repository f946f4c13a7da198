// The `pix2pix` command line. Commands are added by the data/CLI work (issue #4).
console.error('pix2pix: no commands yet');
process.exit(1);
