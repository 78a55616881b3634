// The 3D view of a mesh on a print bed: three.js with orbit controls, a grid in millimetres, and
// the model's size. Takes the file's bytes as the server sent them (GLB, STL, OBJ, PLY) and puts
// the model in the frame our exporter uses for that format (placement.cpp): STL is Z-up in mm,
// GLB is Y-up in metres, OBJ and PLY are Y-up in mm.

import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OBJLoader } from 'three/addons/loaders/OBJLoader.js';
import { PLYLoader } from 'three/addons/loaders/PLYLoader.js';
import { STLLoader } from 'three/addons/loaders/STLLoader.js';

export type MeshFormat = 'glb' | 'stl' | 'obj' | 'ply';

const kBedMm = 220;   // a common printer's bed; grown to fit a larger model
const kCellMm = 10;
const kModelColour = 0x4f7cac;

export function webGlAvailable(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

export function formatOfName(name: string): MeshFormat | null {
  const extension = name.toLowerCase().split('.').pop() ?? '';
  return extension === 'glb' || extension === 'stl' || extension === 'obj' || extension === 'ply'
    ? extension : null;
}

export class MeshViewer {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(40, 1, 1, 20000);
  private readonly controls: OrbitControls;
  private readonly resize: ResizeObserver;
  private bed: THREE.Group | null = null;
  private model: THREE.Object3D | null = null;
  private frame = 0;

  // Draws into a canvas it adds to `container`; throws when the browser has no WebGL.
  constructor(private readonly container: HTMLElement) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.domElement.setAttribute('role', 'img');
    this.renderer.domElement.setAttribute('aria-label', 'The generated model on a print bed');
    this.renderer.domElement.classList.add('viewer-canvas');
    container.append(this.renderer.domElement);

    this.scene.background = new THREE.Color(0xf3f5f8);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8d8d99, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 2.0);
    sun.position.set(150, 300, 200);
    this.scene.add(sun);

    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.requestRender());
    this.setBed(kBedMm);
    this.fit(new THREE.Box3(new THREE.Vector3(-50, 0, -50), new THREE.Vector3(50, 60, 50)));

    this.resize = new ResizeObserver(() => this.onResize());
    this.resize.observe(container);
    this.onResize();
  }

  // Shows the mesh in `bytes`, replacing the one shown; answers its size in mm [x, y, z] (y up).
  async show(bytes: ArrayBuffer, format: MeshFormat): Promise<THREE.Vector3> {
    const object = await this.parse(bytes, format);
    if (this.model) {
      this.scene.remove(this.model);
      disposeTree(this.model);
    }
    this.model = object;
    this.scene.add(object);

    // Stand it on the bed, centred.
    const box = new THREE.Box3().setFromObject(object);
    if (box.isEmpty()) throw new Error('The mesh has no faces to show.');
    const centre = box.getCenter(new THREE.Vector3());
    object.position.sub(new THREE.Vector3(centre.x, box.min.y, centre.z));
    object.updateMatrixWorld(true);
    const placed = new THREE.Box3().setFromObject(object);
    const size = placed.getSize(new THREE.Vector3());
    const needed = Math.ceil((Math.max(size.x, size.z) * 1.3) / 20) * 20;
    this.setBed(Math.max(kBedMm, needed));
    this.fit(placed);
    return size;
  }

  dispose(): void {
    this.resize.disconnect();
    cancelAnimationFrame(this.frame);
    this.controls.dispose();
    if (this.model) disposeTree(this.model);
    if (this.bed) disposeTree(this.bed);
    this.renderer.dispose();
    this.renderer.domElement.remove();
  }

  private async parse(bytes: ArrayBuffer, format: MeshFormat): Promise<THREE.Object3D> {
    const material = new THREE.MeshStandardMaterial({ color: kModelColour, roughness: 0.6, metalness: 0.05 });
    switch (format) {
      case 'glb': {
        const gltf = await new GLTFLoader().parseAsync(bytes, '');
        gltf.scene.scale.setScalar(1000);  // glTF is in metres
        gltf.scene.traverse((node) => {
          const mesh = node as THREE.Mesh;
          if (!mesh.isMesh) return;
          const materials = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
          if (!mesh.geometry.hasAttribute('color') && materials.every((m) => !('map' in m) || !m.map))
            mesh.material = material;  // an untextured export: our colour reads better than white
        });
        const holder = new THREE.Group();
        holder.add(gltf.scene);
        return holder;
      }
      case 'stl': {
        const geometry = new STLLoader().parse(bytes);
        const mesh = new THREE.Mesh(geometry, material);
        mesh.rotation.x = -Math.PI / 2;  // Z-up (the slicer's frame) to three's Y-up
        const holder = new THREE.Group();
        holder.add(mesh);
        return holder;
      }
      case 'ply': {
        const geometry = new PLYLoader().parse(bytes);
        if (!geometry.hasAttribute('normal')) geometry.computeVertexNormals();
        if (geometry.hasAttribute('color')) material.vertexColors = true;
        const holder = new THREE.Group();
        holder.add(new THREE.Mesh(geometry, material));
        return holder;
      }
      case 'obj': {
        const group = new OBJLoader().parse(new TextDecoder().decode(bytes));
        group.traverse((node) => {
          const mesh = node as THREE.Mesh;
          if (!mesh.isMesh) return;
          if (!mesh.geometry.hasAttribute('normal')) mesh.geometry.computeVertexNormals();
          mesh.material = material;
        });
        const holder = new THREE.Group();
        holder.add(group);
        return holder;
      }
    }
  }

  private setBed(sizeMm: number): void {
    if (this.bed) {
      this.scene.remove(this.bed);
      disposeTree(this.bed);
    }
    const bed = new THREE.Group();
    const plate = new THREE.Mesh(
      new THREE.PlaneGeometry(sizeMm, sizeMm),
      new THREE.MeshStandardMaterial({ color: 0xdde3ea, roughness: 0.9, side: THREE.DoubleSide }),
    );
    plate.rotation.x = -Math.PI / 2;
    plate.position.y = -0.2;
    bed.add(plate);
    const grid = new THREE.GridHelper(sizeMm, Math.round(sizeMm / kCellMm), 0x7d8794, 0xb5bdc7);
    bed.add(grid);
    this.bed = bed;
    this.scene.add(bed);
    this.requestRender();
  }

  private fit(box: THREE.Box3): void {
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    const radius = Math.max(size.length() / 2, 20);
    const distance = (1.15 * radius) / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2));
    this.camera.position.copy(centre).add(new THREE.Vector3(0.6, 0.55, 0.9).normalize().multiplyScalar(distance));
    this.camera.near = Math.max(0.5, distance / 100);
    this.camera.far = distance * 20;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(centre);
    this.controls.update();
    this.requestRender();
  }

  private onResize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  private requestRender(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.renderer.render(this.scene, this.camera));
  }
}

function disposeTree(root: THREE.Object3D): void {
  root.traverse((node) => {
    const mesh = node as THREE.Mesh;
    mesh.geometry?.dispose();
    const materials = Array.isArray(mesh.material) ? mesh.material : mesh.material ? [mesh.material] : [];
    for (const material of materials) material.dispose();
  });
}

// "86.0 × 62.4 × 70.1 mm" (width × depth × height).
export function formatSize(size: THREE.Vector3): string {
  return `${size.x.toFixed(1)} × ${size.z.toFixed(1)} × ${size.y.toFixed(1)} mm`;
}
