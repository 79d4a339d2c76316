// TF.js's own output of faceres-deep on the two test chips: the reference that
// tests/mlops/test_pretrained.py holds the PyTorch port (mlops.gender.model.FaceMobileNet) to.
// Made once (2026-12-02) with node 20 and @tensorflow/tfjs 4.22.0 (its pure-JS CPU backend):
//   npm install @tensorflow/tfjs@4
//   NODE_PATH=node_modules node faceres_tfjs_reference.js MODELS_DIR INPUT.json > faceres_deep_tfjs.json
// INPUT.json: the two 160x160 chips (faceres_chip_female.png, faceres_chip_male.png) as the
// network takes them, NHWC BGR float32 minus the VGG means [103.939, 116.779, 123.68], flattened.
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
(async () => {
  const [dir, input] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(`${dir}/faceres-deep.json`));
  for (const n of spec.modelTopology.node) {  // the graph is declared for 224x224 only
    if (n.op === 'Placeholder') n.attr.shape.shape.dim = [-1, -1, -1, 3].map((s) => ({ size: `${s}` }));
  }
  delete spec.signature.inputs;
  const bin = fs.readFileSync(`${dir}/faceres-deep.bin`);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: spec.modelTopology,
    weightSpecs: spec.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  }));
  const x = tf.tensor4d(new Float32Array(JSON.parse(fs.readFileSync(input))), [2, 160, 160, 3]);
  const [male, features] = model.execute(x, ['gender_pred/Sigmoid', 'global_pooling/Mean']);
  console.log(JSON.stringify({
    tfjs: tf.version.tfjs,
    male_probability: Array.from(male.dataSync()),
    features: tf.split(features, 2).map((f) => Array.from(f.dataSync())),
  }));
})();
